import { en, type Texts } from './en.ts';

/** The texts of the interface (English until a translation is chosen here). */
export const t: Texts = en;
