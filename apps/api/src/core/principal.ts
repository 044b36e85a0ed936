import type { Role } from '@lfs-depot/contracts';

/** Who is making a request, once authenticated. */
export interface Principal {
  userId: string;
  username: string;
  admin: boolean;
  /** Set when authenticated with a credential restricted to one project (transfer or git-lfs-authenticate tokens). */
  tokenProjectId: string | null;
  /** Highest role the credential allows, whatever the user's membership says; null for no cap. */
  maxRole: Role | null;
  /** When the credential itself expires (unix seconds), for credentials derived from it never to outlive it. */
  credentialExpiresAt?: number;
  /**
   * The access token behind this credential (directly, or as the parent of a transfer token), so that revoking it
   * also stops the transfer tokens minted from it.
   */
  credentialTokenId?: string;
  /**
   * The platform token that had this credential minted (lfs-authenticate), directly or as the parent of a transfer
   * token: revoking it stops every transfer token it handed out.
   */
  credentialPlatformTokenId?: string;
  /**
   * Set for a platform token (a git host's hooks and SSH server): it may only call the routes marked
   * @PlatformRoute(), and only for these project paths when they are given.
   */
  platform?: { tokenId: string; name: string; projectPaths: string[] | null };
}

/** Told the name of the user a request authenticated as, for the request's access line. */
export type UserNote = (username: string) => void;

/** The bootstrap administrator behind LFS_ADMIN_TOKEN, which is no user row. */
export const BOOTSTRAP_ADMIN: Principal = {
  userId: '0',
  username: 'admin',
  admin: true,
  tokenProjectId: null,
  maxRole: null,
};
