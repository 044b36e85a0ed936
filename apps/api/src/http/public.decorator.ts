import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'lfs-depot:public';

/** Marks a route as needing no authentication guard; every other route must declare one (a spec checks). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
