import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { agentRouter } from './routers/agent';
import { authRouter } from './routers/auth';
import { chatRouter } from './routers/chat';
import { emailRouter } from './routers/email';
import { generationRouter } from './routers/generation';
import { messageRouter } from './routers/message';
import { userRouter } from './routers/user';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  auth: { ...authRouter, ...emailRouter },
  user: userRouter,
  chat: chatRouter,
  message: { ...messageRouter, ...generationRouter },
  agent: agentRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export const createCaller = createCallerFactory(appRouter);
