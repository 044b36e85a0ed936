import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

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
