// The forms a service could quote a secret back in, and what is left alone.
import { describe, expect, it } from 'vitest';
import { redactSecrets, secretForms } from '../../../electron/hub/secret-redaction.js';

describe('redactSecrets', () => {
  it('cuts a value out as is, URL-encoded, JSON-escaped and base64', () => {
    const secret = 'p@ss/"word"+1';
    const text = [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), Buffer.from(secret).toString('base64')].join(' | ');
    expect(redactSecrets(text, { password: secret })).toBe('[redacted] | [redacted] | [redacted] | [redacted]');
  });

  it("cuts a webhook URL's path and token segments, but not the words of its path", () => {
    const url = 'https://hooks.slack.com/services/T0123ABCD/B0123ABCD/XXXXsecretXXXXyyyy';
    expect(redactSecrets(`HTTP 404: no_service for /services/T0123ABCD/B0123ABCD/XXXXsecretXXXXyyyy`, { webhookUrl: url })).toBe('HTTP 404: no_service for [redacted]');
    expect(redactSecrets('unknown token XXXXsecretXXXXyyyy in services', [url])).toBe('unknown token [redacted] in services');
    expect(secretForms(url)).not.toContain('services');
    expect(redactSecrets('token=abcdefgh12345 rejected', ['https://ntfy.example.com/topic?auth=abcdefgh12345'])).toBe('token=[redacted] rejected');
  });

  it("cuts a secret header's credential without its scheme word, as a reply quotes it", () => {
    expect(redactSecrets('invalid token xyz-0123456789', { 'secretHeaders.Authorization': 'Bearer xyz-0123456789' })).toBe('invalid token [redacted]');
    expect(redactSecrets('a Bearer word', { 'secretHeaders.Authorization': 'Bearer xyz-0123456789' })).toBe('a Bearer word');
  });

  it('leaves texts alone when there is nothing to cut, and ignores values too short to mean anything', () => {
    expect(redactSecrets('HTTP 500: oops', { token: 'abcdef' })).toBe('HTTP 500: oops');
    expect(redactSecrets('a b c', { token: 'a' })).toBe('a b c');
    expect(redactSecrets('text', {})).toBe('text');
  });

  it('cuts the longest form first, so a value inside another is not left half-cut', () => {
    expect(redactSecrets('key abcd1234abcd', ['abcd', 'abcd1234abcd'])).toBe('key [redacted]');
  });
});
