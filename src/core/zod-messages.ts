/**
 * Turns on zod's English messages for the schemas built with zod/mini (the tree-shakable build of
 * zod the Lambdas bundle): the full zod does this when it loads, zod/mini leaves it out to stay
 * small, and these messages are what people read when their input is refused. Imported for its
 * effect by every module that defines a schema with zod/mini.
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());
