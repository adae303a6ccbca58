// The pure half of "Connect GitHub / GitLab": filtering the picker, offering owner/*, and
// the source config the picks become. Kept out of the component so it is tested directly.
import type { CiDiscovery } from '../../../shared/api.js';
import { GithubActionsSourceSchema, GitlabCiSourceSchema } from '../../../shared/config.js';

type Repo = CiDiscovery['repos'][number];

/** Case-insensitive substring match on the name and description; an empty search shows all. */
export function filterRepos(repos: readonly Repo[], search: string): Repo[] {
  const words = search.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...repos];
  return repos.filter((r) => {
    const text = `${r.name} ${r.description ?? ''}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

/** Owners (GitHub) or groups (GitLab, the whole namespace path) the repositories belong to, sorted. */
export function ownersOf(repos: readonly Repo[]): string[] {
  return [...new Set(repos.map((r) => r.name.slice(0, r.name.lastIndexOf('/'))).filter(Boolean))].sort((a, b) => a.localeCompare(b));
}

/**
 * What the user typed in the search, as an entry of its own, when it is one (owner/name,
 * owner/*; GitLab: group/subgroup/project) that the list does not already offer: a token's
 * list leaves out other people's public repositories, and stops at the most active ones.
 */
export function typedEntry(kind: 'github-actions' | 'gitlab-ci', repos: readonly Repo[], search: string): string | undefined {
  const typed = search.trim();
  const entry = kind === 'github-actions' ? GithubActionsSourceSchema.shape.repos.element : GitlabCiSourceSchema.shape.projects.element;
  if (!entry.safeParse(typed).success) return undefined;
  const offered = [...repos.map((r) => r.name), ...ownersOf(repos).map((o) => `${o}/*`)];
  return offered.some((name) => name.toLowerCase() === typed.toLowerCase()) ? undefined : typed;
}

export function sourceConfigFor(
  kind: 'github-actions' | 'gitlab-ci',
  options: { id: string; name: string; picked: readonly string[]; url: string; onlyMine: boolean; tokenRef?: string },
): Record<string, unknown> {
  return {
    id: options.id,
    kind,
    name: options.name,
    enabled: true,
    [kind === 'github-actions' ? 'repos' : 'projects']: [...options.picked],
    ...(options.url && { [kind === 'github-actions' ? 'apiUrl' : 'baseUrl']: options.url }),
    ...(options.onlyMine && { onlyMine: true }),
    ...(options.tokenRef && { token: options.tokenRef }),
  };
}
