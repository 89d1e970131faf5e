import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { extractReasoningMiddleware, wrapLanguageModel } from 'ai';
import type { AiConfig } from '../../config';
import { createDemoModel, DEMO_MODEL_ID } from './local-demo';
import type { LanguageModelV3 } from './types';

export interface ModelInfo {
  /** What agents and the API name: "<provider>/<model>". */
  id: string;
  provider: string;
}

/**
 * The server-side model allow list and the models behind it. Clients name a model id from the list, never a
 * provider URL; an id not on the list is refused where it is first given (agent.create / agent.update).
 */
export class ModelRegistry {
  private readonly models = new Map<string, { info: ModelInfo; model: LanguageModelV3 }>();

  constructor(config: Pick<AiConfig, 'providers' | 'demo'>) {
    if (config.demo.enabled) {
      this.models.set(DEMO_MODEL_ID, {
        info: { id: DEMO_MODEL_ID, provider: 'local' },
        model: createDemoModel({ wordDelayMs: config.demo.wordDelayMs }),
      });
    }
    for (const p of config.providers) {
      const provider = createOpenAICompatible({
        name: p.name,
        baseURL: p.baseURL,
        ...(p.apiKey ? { apiKey: p.apiKey } : {}),
        // Token counts arrive in the stream's last chunk only when asked for.
        includeUsage: true,
      });
      // Thinking sent inside the text between tags becomes the reasoning parts a server sending it apart gives.
      const reasoning = p.reasoningTag ? extractReasoningMiddleware({ tagName: p.reasoningTag }) : undefined;
      for (const m of p.models) {
        const id = `${p.name}/${m}`;
        const chat = provider.chatModel(m);
        const model = reasoning ? wrapLanguageModel({ model: chat, middleware: reasoning }) : chat;
        this.models.set(id, { info: { id, provider: p.name }, model });
      }
    }
  }

  list(): ModelInfo[] {
    return [...this.models.values()].map((m) => m.info);
  }

  has(id: string): boolean {
    return this.models.has(id);
  }

  get(id: string): LanguageModelV3 | undefined {
    return this.models.get(id)?.model;
  }

  /**
   * Adds `model` to the allow list as `id` ("<provider>/<model>"): for an embedder's own LanguageModelV3 (the
   * streaming benchmark's in-process model is one). An id already on the list is refused, not replaced.
   */
  register(id: string, model: LanguageModelV3): void {
    const slash = id.indexOf('/');
    if (slash <= 0 || slash === id.length - 1)
      throw new Error(`model id "${id}" must be "<provider>/<model>"`);
    if (this.models.has(id)) throw new Error(`model ${id} is already on the allow list`);
    this.models.set(id, { info: { id, provider: id.slice(0, slash) }, model });
  }
}
