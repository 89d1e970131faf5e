const MAX_WORDS = 8;
const MAX_CHARS = 60;

/**
 * A short chat title from the first message: its first line, at most 8 words and 60 characters, cut at a
 * word boundary with an ellipsis when shortened. No model call: titling costs the user no quota.
 */
export function titleFromMessage(content: string): string {
  const line =
    content
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? '';
  const words = line.replace(/\s+/g, ' ').split(' ').filter(Boolean);
  let title = words.slice(0, MAX_WORDS).join(' ');
  let cut = words.length > MAX_WORDS;
  if ([...title].length > MAX_CHARS) {
    const chars = [...title].slice(0, MAX_CHARS).join('');
    const space = chars.lastIndexOf(' ');
    title = space > 20 ? chars.slice(0, space) : chars;
    cut = true;
  }
  title = title.replace(/[\s.,;:!?-]+$/u, '');
  if (!title) return 'New chat';
  return cut ? `${title}…` : title;
}
