/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Where the AllStore API lives; defaults to the same origin's `/Prod/` stage. */
  readonly VITE_API_BASE_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
