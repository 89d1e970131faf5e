export * from './chats';
export * from './messages';
export * from './sessions';
export * from './users';
