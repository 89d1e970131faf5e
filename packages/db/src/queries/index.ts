export * from './chats';
export * from './email';
export * from './messages';
export * from './sessions';
export * from './users';
