import { includesName } from '../ledger/index.ts';

/** Whose eyes a dashboard request is for: the repositories a signed-in key may read, or all. */
export interface Viewer {
  /** null: the dashboard is public and shows every repository. */
  repositories: string[] | null;
  signedIn: boolean;
  /** When a signed-in session ends (ms since the epoch); a public dashboard's never does. */
  until?: number;
}

export function canSee(viewer: Viewer, repository: string): boolean {
  return viewer.repositories === null || includesName(viewer.repositories, repository);
}
