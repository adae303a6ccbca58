// The pure half of "Connect GitHub / GitLab": the picker's search, the owner/* offers, and
// the source config the picks become (validated by the shared schema, as the hub will).
import { describe, expect, it } from 'vitest';
import { SourceSchema } from '../../../../../shared/config.js';
import { filterRepos, ownersOf, sourceConfigFor, typedEntry } from '../../../../../renderer/pages/sources/connect-ci.js';

const repos = [
  { name: 'acme/api', private: true, description: 'The public API' },
  { name: 'acme/web', private: false },
  { name: 'octocat/Hello-World', private: false, description: 'My first repository' },
  { name: 'platform/infra/terraform', private: true },
];

describe('picker search', () => {
  it.each([
    ['', ['acme/api', 'acme/web', 'octocat/Hello-World', 'platform/infra/terraform']],
    ['ACME', ['acme/api', 'acme/web']],
    ['hello', ['octocat/Hello-World']],
    ['first repo', ['octocat/Hello-World']],
    ['api public', ['acme/api']],
    ['nothing-like-this', []],
  ])('"%s"', (search, expected) => {
    expect(filterRepos(repos, search).map((r) => r.name)).toEqual(expected);
  });

  it('offers each owner or group once, GitLab subgroups whole', () => {
    expect(ownersOf(repos)).toEqual(['acme', 'octocat', 'platform/infra']);
  });
});

describe('an entry typed in the search', () => {
  it.each([
    ['github-actions', 'torvalds/linux', 'torvalds/linux'], // someone else's public repository
    ['github-actions', ' other-org/* ', 'other-org/*'],
    ['github-actions', 'acme/API', undefined], // listed already (GitHub names are case-insensitive)
    ['github-actions', 'acme/*', undefined], // offered as an owner already
    ['github-actions', 'acme', undefined], // not whole yet
    ['github-actions', 'a/b/c', undefined], // GitHub has no subgroups
    ['gitlab-ci', 'platform/infra/other', 'platform/infra/other'],
    ['gitlab-ci', 'platform/*', 'platform/*'],
    ['gitlab-ci', 'platform/infra/*', undefined],
  ] as const)('%s: "%s" → %s', (kind, search, expected) => {
    expect(typedEntry(kind, repos, search)).toBe(expected);
  });
});

describe('the source the picks become', () => {
  it('GitHub: repos, API URL for GHES, onlyMine; the token goes to the keychain (not in the config)', () => {
    const config = sourceConfigFor('github-actions', { id: 'gh', name: 'GitHub: octocat', picked: ['acme/*', 'octocat/Hello-World'], url: 'https://ghe.acme.example/api/v3', onlyMine: true });
    expect(config).toEqual({ id: 'gh', kind: 'github-actions', name: 'GitHub: octocat', enabled: true, repos: ['acme/*', 'octocat/Hello-World'], apiUrl: 'https://ghe.acme.example/api/v3', onlyMine: true });
    expect(SourceSchema.safeParse({ ...config, token: 'keychain:herald.pending' }).success).toBe(true);
  });

  it('GitLab: projects with subgroups, base URL, an env: reference for the token', () => {
    const config = sourceConfigFor('gitlab-ci', { id: 'gl', name: 'GitLab: jdoe', picked: ['platform/infra/*', 'platform/infra/terraform'], url: '', onlyMine: false, tokenRef: 'env:GITLAB_TOKEN' });
    expect(config).toEqual({ id: 'gl', kind: 'gitlab-ci', name: 'GitLab: jdoe', enabled: true, projects: ['platform/infra/*', 'platform/infra/terraform'], token: 'env:GITLAB_TOKEN' });
    expect(SourceSchema.safeParse(config).success).toBe(true);
  });
});
