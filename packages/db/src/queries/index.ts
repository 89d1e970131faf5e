export * from './agents';
export * from './chats';
export * from './email';
export * from './generation';
export * from './messages';
export * from './quota';
export * from './sessions';
export * from './users';
