import { CreateInitialSchema1764115200000 } from './1764115200000-CreateInitialSchema.js';

/** Every migration, in order. Listed explicitly because ESM builds can't be globbed by TypeORM's loader. */
export const MIGRATIONS = [CreateInitialSchema1764115200000];
