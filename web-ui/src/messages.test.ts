import { describe, expect, it } from 'vitest';
import { MESSAGES, pickLanguage, statusText } from './messages.js';

describe('pickLanguage', () => {
  it.each([
    ['fr', 'fr'],
    ['fr-FR', 'fr'],
    ['FR-ca', 'fr'],
    ['en-GB', 'en'],
    ['de-DE', 'en'],
    [undefined, 'en'],
  ] as const)('%s → %s', (tag, lang) => {
    expect(pickLanguage(tag)).toBe(lang);
  });
});

describe('statusText', () => {
  it('gives the exact link-invalid wording the server contract names, in both languages', () => {
    const en = statusText(MESSAGES.en, 'link-invalid', null);
    expect(`${en.title} ${en.detail}`).toBe(
      'This link has already been used or has expired. Ask the sonographer for a new one.',
    );
    expect(statusText(MESSAGES.fr, 'link-invalid', null).title).toMatch(/^Ce lien a déjà été utilisé/);
  });
  it('says "The session has ended" when it has', () => {
    expect(statusText(MESSAGES.en, 'ended', null).title).toBe('The session has ended');
  });
  it('every error reason tells the parent what to do, in both languages', () => {
    for (const lang of ['en', 'fr'] as const) {
      for (const text of Object.values(MESSAGES[lang].error)) expect(text.detail.length).toBeGreaterThan(10);
    }
  });
});
