import type {
  LfsAuthenticateRequest,
  LfsAuthenticateView,
  PushCheckRequest,
  PushCheckResponse,
} from '@lfs-depot/contracts';

import { AdminClient } from './admin.client.js';

/**
 * The admin endpoints a git platform's hooks and SSH server call: push check and lfs-authenticate. Same transport,
 * errors and timeouts as the admin commands.
 */
export class PlatformClient extends AdminClient {
  /** POST /projects/{path}/push-check */
  checkPush(project: string, body: PushCheckRequest): Promise<PushCheckResponse> {
    return this.json<PushCheckResponse>('POST', `${projectRoute(project)}/push-check`, body);
  }

  /** POST /projects/{path}/lfs-authenticate */
  authenticate(project: string, body: LfsAuthenticateRequest): Promise<LfsAuthenticateView> {
    return this.json<LfsAuthenticateView>('POST', `${projectRoute(project)}/lfs-authenticate`, body);
  }
}

function projectRoute(project: string): string {
  return `/projects/${encodeURIComponent(project)}`;
}
