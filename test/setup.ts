import '../src/polyfills.ts';
