// autocannon ships no types; bench/run.ts states the one promise API it uses.
declare module 'autocannon'
