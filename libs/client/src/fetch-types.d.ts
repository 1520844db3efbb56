// The generated fetch client names the WHATWG `BodyInit` type, which TypeScript declares only in its DOM
// library; Node's fetch (undici) declares the same type. This project compiles without the DOM library.
type BodyInit = import('undici-types').BodyInit;
