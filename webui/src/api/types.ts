/** Shapes of the AllStore HTTP API (docs/openapi.yaml, BRIEF §4). */

export interface Item {
  asin: string;
  /** May contain HTML entities (the catalogue comes from scraped product pages). */
  title: string;
  /** May be missing, broken, absolute or root-relative. */
  imUrl?: string;
  genre?: string;
  price?: number | string;
  brand?: string;
  category?: string;
  /** The department a category belongs to (synthetic and UCSD catalogues). */
  main_cat?: string;
  /** Mean stars of the ratings in the data the store was loaded from, and how many there are. */
  rating?: number;
  ratingCount?: number;
  /** The newest reviews, newest first (at most 3); only GET /items/{id} has them, never a list. */
  reviews?: Review[];
  /** Set by /search on items re-ranked for the user. */
  Promoted?: boolean;
}

/** One review (docs/openapi.yaml Review): a headline or a text, or both. */
export interface Review {
  name?: string;
  /** 1 to 5. */
  stars: number;
  headline?: string;
  text?: string;
  /** The day it was written, `YYYY-MM-DD` (UTC). */
  date: string;
}

/** The Personalize campaign (and filter) behind a list, by name; absent on fallbacks. */
export interface ListSource {
  campaign: string;
  filter?: string;
}

export interface ItemList {
  results: Item[];
  /** Explains why results are a fallback (e.g. no campaign yet); may contain line breaks. */
  warning?: string;
  source?: ListSource;
  /** /search: every hit; /items?category= (first page): the category's size. */
  total?: number;
  /** /search: the query with misspelt words replaced by what was found instead. */
  correctedQuery?: string;
  /** /items: pass back for the next page. */
  nextToken?: string;
}

/** GET /categories: every category of the catalogue, by department, with how many items each has. */
export interface CategoryTree {
  departments: Department[];
  /** Items in every category: the catalogue's size. */
  itemCount: number;
}

export interface Department {
  /** null for the categories whose items name no department. May contain HTML entities. */
  name: string | null;
  itemCount: number;
  categories: { name: string; itemCount: number }[];
}

export interface StoreUser {
  Id: string;
  FirstName: string;
  LastName: string;
}

export interface StoreSession {
  AnonymousPoolId: string;
  StreamName: string;
  Region: string;
  UserList: StoreUser[];
  /** Present only on the local store: where its Kinesis and Cognito stand-ins listen. */
  Endpoints?: { kinesis?: string; 'cognito-identity'?: string };
}

export interface ProductDescription {
  ASIN: string;
  Items: string[];
}
