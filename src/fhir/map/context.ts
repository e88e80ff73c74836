import type { Delimiters } from '../../hl7/delimiters.ts';
import type { MapOptions } from '../projection.ts';

/** What every segment and datatype map needs: the message's delimiters and the mapping options. */
export type MapContext = { readonly d: Delimiters; readonly options: MapOptions };

export type Json = Record<string, unknown>;
