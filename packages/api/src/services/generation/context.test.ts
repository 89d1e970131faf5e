import type { Message } from '@chatplatform/db';
import { describe, expect, it } from 'vitest';
import { buildPrompt } from './context';
import { titleFromMessage } from './title';

let seq = 0;
function msg(role: 'USER' | 'AI', content: string, extra: Partial<Message> = {}): Message {
  seq++;
  const now = new Date();
  return {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    seq,
    chatId: 'c',
    userId: 'u',
    role,
    content,
    status: 'done',
    parentId: null,
    agentId: null,
    modelUsed: null,
    tokensUsed: null,
    promptTokens: null,
    completionTokens: null,
    finishReason: null,
    errorMessage: null,
    timeToFirstTokenMs: null,
    durationMs: null,
    heartbeatAt: null,
    createdAt: now,
    updatedAt: now,
    ...extra,
  };
}

describe('buildPrompt', () => {
  it('keeps the newest history that fits the budget, oldest first, always starting with the user', () => {
    const u1 = msg('USER', 'a'.repeat(50));
    const a1 = msg('AI', 'b'.repeat(50), { parentId: u1.id });
    const u2 = msg('USER', 'c'.repeat(50));
    const a2 = msg('AI', 'd'.repeat(50), { parentId: u2.id });
    const u3 = msg('USER', 'question');
    const history = [u3, a2, u2, a1, u1]; // newest first, as the query returns it
    const p = buildPrompt({ systemPrompt: 'sys', history, budgetChars: 3 + 8 + 50 + 50 + 50 });
    expect(p.system).toBe('sys');
    expect(p.messages).toEqual([
      { role: 'user', content: 'c'.repeat(50) },
      { role: 'assistant', content: 'd'.repeat(50) },
      { role: 'user', content: 'question' },
    ]);
  });

  it('always includes the message being answered, even over budget', () => {
    const p = buildPrompt({ systemPrompt: '', history: [msg('USER', 'x'.repeat(500))], budgetChars: 10 });
    expect(p.system).toBeUndefined();
    expect(p.messages).toHaveLength(1);
  });

  it('leaves out failed and empty replies and keeps only the newest of several regenerations', () => {
    const u1 = msg('USER', 'q1');
    const old = msg('AI', 'old answer', { parentId: u1.id });
    const failed = msg('AI', 'partial', { parentId: u1.id, status: 'error' });
    const newest = msg('AI', 'new answer', { parentId: u1.id });
    const u2 = msg('USER', 'q2');
    const p = buildPrompt({ systemPrompt: '', history: [u2, newest, failed, old, u1], budgetChars: 10_000 });
    expect(p.messages.map((m) => m.content)).toEqual(['q1', 'new answer', 'q2']);
  });
});

describe('titleFromMessage', () => {
  it('takes the first non-empty line, at most 8 words, with an ellipsis when cut', () => {
    expect(titleFromMessage('\n  Hello there  \nsecond line')).toBe('Hello there');
    expect(titleFromMessage('one two three four five six seven eight nine ten')).toBe(
      'one two three four five six seven eight…',
    );
  });
  it('caps the length at a word boundary and trims trailing punctuation', () => {
    const t = titleFromMessage(`${'supercalifragilistic '.repeat(3)}word, and more`);
    expect([...t].length).toBeLessThanOrEqual(61);
    expect(titleFromMessage('Why?')).toBe('Why');
    expect(titleFromMessage('   ')).toBe('New chat');
  });
});
