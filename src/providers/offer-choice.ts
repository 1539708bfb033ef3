// Offer choice is pure: it lives in domain, so clients may use it.
export * from '../domain/offer-choice';
