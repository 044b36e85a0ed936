import type { ProjectArchiveManifest } from '@lfs-depot/contracts';
import {
  DomainError,
  ErrorCode,
  isValidSize,
  PROJECT_ARCHIVE_FORMAT,
  PROJECT_ARCHIVE_VERSION,
  PROJECT_PATH_PATTERN,
  VISIBILITIES,
} from '@lfs-depot/contracts';

function invalid(message: string): DomainError {
  return new DomainError(ErrorCode.VALIDATION_FAILED, `manifest.json: ${message}`);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses and checks a project archive's manifest.json (at most MAX_MANIFEST_BYTES, read by the caller). Refuses
 * (422, saying what is wrong) anything but a manifest of a known version; fields it does not know are ignored, so a
 * later exporter may add some.
 */
export function parseArchiveManifest(bytes: Buffer): ProjectArchiveManifest {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid('not valid JSON');
  }
  if (!isRecord(value) || value.format !== PROJECT_ARCHIVE_FORMAT) {
    throw invalid(`not an lfs-depot project archive (format must be "${PROJECT_ARCHIVE_FORMAT}")`);
  }
  if (value.version !== PROJECT_ARCHIVE_VERSION) {
    throw invalid(
      `version ${JSON.stringify(value.version)} is not one this server reads (it reads ${PROJECT_ARCHIVE_VERSION})`,
    );
  }
  const { project, objects, exported_at: exportedAt } = value;
  if (typeof exportedAt !== 'string' || Number.isNaN(Date.parse(exportedAt))) {
    throw invalid('exported_at must be a date');
  }
  if (!isRecord(project)) {
    throw invalid('project must be an object');
  }
  if (typeof project.path !== 'string' || !PROJECT_PATH_PATTERN.test(project.path)) {
    throw invalid('project.path must be a project path');
  }
  const visibility = VISIBILITIES.find((known) => known === project.visibility);
  if (!visibility) {
    throw invalid(`project.visibility must be one of ${VISIBILITIES.join(', ')}`);
  }
  if (project.quota_bytes !== null && !isValidSize(project.quota_bytes)) {
    throw invalid('project.quota_bytes must be null or a non-negative integer');
  }
  if (!isRecord(objects) || !isValidSize(objects.count) || !isValidSize(objects.size)) {
    throw invalid('objects must be {count, size} with non-negative integers');
  }
  return {
    format: PROJECT_ARCHIVE_FORMAT,
    version: PROJECT_ARCHIVE_VERSION,
    exported_at: exportedAt,
    project: { path: project.path, visibility, quota_bytes: project.quota_bytes },
    objects: { count: objects.count, size: objects.size },
  };
}
