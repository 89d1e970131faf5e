import { describe, expect, it } from 'vitest';
import { matchRoute } from './router';

describe('matchRoute', () => {
  it('maps every screen and nothing else', () => {
    expect(matchRoute('/')).toEqual({ name: 'home' });
    expect(matchRoute('/new')).toEqual({ name: 'new' });
    expect(matchRoute('/agents')).toEqual({ name: 'agents' });
    expect(matchRoute('/profile')).toEqual({ name: 'profile' });
    const id = '0b6f2a0e-8a53-4b0e-9a59-2f1f4c1f7a10';
    expect(matchRoute(`/chats/${id}`)).toEqual({ name: 'chat', id });
    expect(matchRoute('/chats/not-an-id')).toEqual({ name: 'notFound' });
    expect(matchRoute('/trpc/user.profile')).toEqual({ name: 'notFound' });
  });
});
