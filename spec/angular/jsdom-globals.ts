// jsdom leaves out what the library uses from the platform: Node's own are the same classes.
import { TextDecoder, TextEncoder } from 'node:util';

Object.assign(globalThis, { TextDecoder, TextEncoder });
