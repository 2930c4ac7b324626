/**
 * React picks its development or production build when first required, from NODE_ENV. The
 * development build checks and warns on every element and costs the TUI several times the CPU
 * per frame, so unless the user set NODE_ENV, the TUI runs React's production build.
 * Imported for this side effect, before anything that loads React (launch.ts imports it first).
 */
if (process.env.NODE_ENV === undefined) process.env.NODE_ENV = 'production';

export {};
