import { LfsFileLock } from '../locks/lfs-file-lock.entity.js';
import { LfsObject } from '../objects/lfs-object.entity.js';
import { LfsObjectsProject } from '../objects/lfs-objects-project.entity.js';
import { ProjectMember } from '../projects/project-member.entity.js';
import { ProjectStatistics } from '../projects/project-statistics.entity.js';
import { Project } from '../projects/project.entity.js';
import { AccessToken } from '../users/access-token.entity.js';
import { User } from '../users/user.entity.js';

export const ENTITIES = [
  User,
  AccessToken,
  Project,
  ProjectMember,
  LfsObject,
  LfsObjectsProject,
  ProjectStatistics,
  LfsFileLock,
];
