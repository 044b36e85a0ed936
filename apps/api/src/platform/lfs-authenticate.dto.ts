import { IsIn, IsString, Length } from 'class-validator';

import { ApiProperty } from '../http/openapi.decorator.js';

export const LFS_OPERATIONS = ['upload', 'download'] as const;
export type LfsOperation = (typeof LFS_OPERATIONS)[number];

export class LfsAuthenticateDto {
  @ApiProperty({ example: 'alice', description: 'The user the SSH server authenticated' })
  @IsString()
  @Length(1, 64)
  username!: string;

  @ApiProperty({ enum: LFS_OPERATIONS })
  @IsIn(LFS_OPERATIONS)
  operation!: LfsOperation;
}
