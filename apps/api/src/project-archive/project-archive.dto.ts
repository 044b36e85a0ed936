import { IsIn, IsOptional } from 'class-validator';

import { ApiPropertyOptional } from '../http/openapi.decorator.js';

export class ImportProjectQueryDto {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'false',
    description: "Link every object whatever the project's quota (the admin's explicit override)",
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  ignore_quota?: 'true' | 'false';
}
