import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';
import type { Role } from '@lfs-depot/contracts';

import { AccessCache } from '../cache/access-cache.js';
import type { Principal } from '../core/principal.js';
import type { Project } from './project.entity.js';
import { ProjectsRepository } from './projects.repository.js';

const RANK: Record<Role, number> = { read: 1, write: 2, maintainer: 3 };

export interface ProjectAccess {
  project: Project;
  /** The effective role: membership, admin (maintainer), or read on a public project; null for none. */
  role: Role | null;
}

/** Decides who may do what on a project: one query per decision, or none while the AccessCache remembers it. */
@Injectable()
export class ProjectAccessService {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly accessCache: AccessCache,
  ) {}

  /**
   * Returns the project when `principal` (undefined = anonymous) holds at least `needed` on it. Otherwise throws:
   * UNAUTHENTICATED when signing in could help (anonymous), PROJECT_NOT_FOUND when the project must not be revealed
   * (missing, or private and the user is no member), FORBIDDEN when the user can see it but lacks the role.
   */
  async requireAccess(principal: Principal | undefined, path: string, needed: Role): Promise<ProjectAccess> {
    const userId = principal?.userId ?? null;
    const found = await this.accessCache.load(`project:${userId ?? ''}:${path}`, () =>
      this.projects.findProjectWithRole(path, userId),
    );
    if (principal?.tokenProjectId && found && found.project.id !== principal.tokenProjectId) {
      // A project-scoped token reaches nothing else: behave as if the project did not exist.
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${path}' not found`);
    }
    if (!found) {
      if (!principal) {
        throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Credentials needed');
      }
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${path}' not found`);
    }
    const { project } = found;
    let role: Role | null = found.role;
    if (principal?.admin) {
      role = 'maintainer';
    } else if (!role && project.visibility === 'public') {
      role = 'read';
    }
    if (role && principal?.maxRole && RANK[principal.maxRole] < RANK[role]) {
      role = principal.maxRole;
    }
    if (role && RANK[role] >= RANK[needed]) {
      return { project, role };
    }
    if (!principal) {
      throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Credentials needed');
    }
    if (!role) {
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${path}' not found`);
    }
    throw new DomainError(
      ErrorCode.FORBIDDEN,
      `You need the ${needed} role on '${path}' for this; you have ${role}`,
    );
  }
}
