import type { LfsAuthenticateView } from '@lfs-depot/contracts';

import { ApiProperty } from '../http/openapi.decorator.js';

export class LfsAuthenticateHeaderSchema {
  @ApiProperty({ example: 'Basic …' }) Authorization!: string;
}

/** The answer of git-lfs-authenticate (git-lfs docs/api/server-discovery.md), implementing the contracts type. */
export class LfsAuthenticateSchema implements LfsAuthenticateView {
  @ApiProperty({ example: 'https://lfs.example.com/games/engine.git/info/lfs' }) href!: string;
  @ApiProperty({ type: LfsAuthenticateHeaderSchema }) header!: LfsAuthenticateHeaderSchema;
  @ApiProperty({ type: 'integer', description: 'Seconds' }) expires_in!: number;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
}
