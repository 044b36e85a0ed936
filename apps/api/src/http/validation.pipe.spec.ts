import { describe, expect, it } from '@jest/globals';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';
import { Type } from 'class-transformer';
import { IsInt, IsString, ValidateNested } from 'class-validator';

import { createValidationPipe } from './validation.pipe.js';

class OwnerBody {
  @IsString()
  name!: string;

  @IsString({ each: true })
  aliases: string[] = [];
}

class EntryBody {
  @IsInt()
  size!: number;
}

class NestedBody {
  @IsString()
  path!: string;

  @ValidateNested()
  @Type(() => OwnerBody)
  owner!: OwnerBody;

  @ValidateNested({ each: true })
  @Type(() => EntryBody)
  entries!: EntryBody[];
}

async function failure(body: unknown): Promise<DomainError> {
  try {
    await createValidationPipe().transform(body, { type: 'body', metatype: NestedBody });
  } catch (error) {
    if (error instanceof DomainError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected the body to be refused');
}

describe(createValidationPipe.name, () => {
  it('returns the transformed body when it is valid', async () => {
    const body = { path: 'g/p', owner: { name: 'alice' }, entries: [{ size: 1 }] };

    await expect(
      createValidationPipe().transform(body, { type: 'body', metatype: NestedBody }),
    ).resolves.toBeInstanceOf(NestedBody);
  });

  it('rejects with every problem in one VALIDATION_FAILED, nested ones named by their full path', async () => {
    const error = await failure({ path: 7, owner: { name: 1 }, entries: [{ size: 1 }, { size: 'big' }] });

    expect(error.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(error.message.split('; ')).toEqual([
      'path must be a string',
      'owner.name must be a string',
      'entries.1.size must be an integer number',
    ]);
  });

  it('rejects a bad element of a nested array by the full path of the array', async () => {
    const error = await failure({ path: 'g/p', owner: { name: 'alice', aliases: ['al', 3] }, entries: [] });

    expect(error.message).toBe('each value in owner.aliases must be a string');
  });

  it('rejects an unknown nested field by its full path', async () => {
    const error = await failure({ path: 'g/p', owner: { name: 'alice', admin: true }, entries: [] });

    expect(error.message).toBe('property owner.admin should not exist');
  });
});
