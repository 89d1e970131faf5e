import type { LanguageModel } from 'ai';

/**
 * The AI SDK's provider interface (LanguageModelV3), taken from `ai` itself so there is one copy of the
 * provider types: every model the platform calls, the built-in demo included, implements it.
 */
export type LanguageModelV3 = Extract<LanguageModel, { specificationVersion: 'v3' }>;
export type CallOptions = Parameters<LanguageModelV3['doStream']>[0];
export type StreamResult = Awaited<ReturnType<LanguageModelV3['doStream']>>;
export type StreamPart = StreamResult['stream'] extends ReadableStream<infer P> ? P : never;
export type GenerateResult = Awaited<ReturnType<LanguageModelV3['doGenerate']>>;
export type Usage = Extract<StreamPart, { type: 'finish' }>['usage'];
