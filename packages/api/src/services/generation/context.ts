import type { Message } from '@chatplatform/db';
import type { ModelMessage } from 'ai';

/**
 * The prompt for a reply: the agent's system prompt plus the most recent history that fits in the budget
 * (characters, system prompt included). `history` is newest first and ends at the user message being
 * answered, which is always included. Failed or empty replies are left out, and of several replies to one
 * user message (regenerations) only the newest is kept.
 */
export function buildPrompt(params: { systemPrompt: string; history: Message[]; budgetChars: number }): {
  system: string | undefined;
  messages: ModelMessage[];
} {
  let budget = params.budgetChars - params.systemPrompt.length;
  const picked: ModelMessage[] = [];
  const answered = new Set<string>();
  for (const m of params.history) {
    if (m.role === 'AI') {
      if (m.status === 'streaming' || m.status === 'error' || m.content.length === 0) continue;
      if (m.parentId) {
        if (answered.has(m.parentId)) continue;
        answered.add(m.parentId);
      }
    }
    if (picked.length > 0 && m.content.length > budget) break;
    budget -= m.content.length;
    picked.push(
      m.role === 'USER' ? { role: 'user', content: m.content } : { role: 'assistant', content: m.content },
    );
  }
  picked.reverse();
  // A conversation starts with the user: drop a leading assistant turn left over from the cut.
  while (picked[0]?.role === 'assistant') picked.shift();
  return { system: params.systemPrompt || undefined, messages: picked };
}
