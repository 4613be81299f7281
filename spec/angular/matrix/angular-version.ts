// Loaded before each spec of the matrix: the Angular it runs against is the version the matrix installed, not the
// project's own, or the run stops here.
import { VERSION } from '@angular/core';

const expected = process.env['RXWS_ANGULAR_MAJOR'];
if (!expected) throw new Error('RXWS_ANGULAR_MAJOR is not set: run the matrix with node spec/angular/matrix/run.mjs');
if (VERSION.major !== expected)
  throw new Error(`the specs resolved Angular ${VERSION.full}, but the matrix is testing Angular ${expected}`);
