// The provider contract lives in domain (pure types), so clients may name it; providers implement it.
export * from '../domain/provider-contract';
