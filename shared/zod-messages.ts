// zod's default messages are written for developers ("Too small: expected number to be
// >=1", "Invalid input: expected string, received undefined"); the forms, the api and
// ingress show them to users. These say the same in plain words. A schema's own message
// still wins. Imported (for its effect) by the shared schemas, so the hub, its ingress
// thread and the UI all speak alike.
import { z } from 'zod';

type Issue = { code?: string; origin?: string; minimum?: unknown; maximum?: unknown; inclusive?: boolean; expected?: string; input?: unknown; format?: string };

const count = (n: unknown) => (typeof n === 'number' || typeof n === 'bigint' ? Number(n).toLocaleString('en-US') : String(n));

export function plainMessage(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') {
        return issue.inclusive === false ? `must be more than ${count(issue.minimum)}` : `must be at least ${count(issue.minimum)}`;
      }
      if (issue.origin === 'string') return Number(issue.minimum) === 1 ? 'must not be empty' : `must be at least ${count(issue.minimum)} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') return Number(issue.minimum) === 1 ? 'must name at least one' : `must name at least ${count(issue.minimum)}`;
      return undefined;
    case 'too_big':
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') {
        return issue.inclusive === false ? `must be less than ${count(issue.maximum)}` : `must be at most ${count(issue.maximum)}`;
      }
      if (issue.origin === 'string') return `must be at most ${count(issue.maximum)} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') return `must name at most ${count(issue.maximum)}`;
      return undefined;
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      if (issue.expected === 'number') return typeof issue.input === 'number' ? 'must be a finite number' : 'must be a number';
      if (issue.expected === 'int') return 'must be a whole number';
      if (issue.expected === 'string') return 'must be text';
      if (issue.expected === 'boolean') return 'must be true or false';
      return undefined;
    case 'invalid_format':
      return issue.format === 'url' ? 'must be a URL starting with http:// or https://' : undefined;
    default:
      return undefined;
  }
}

z.config({ customError: (issue) => plainMessage(issue as Issue) });
