/* store: see store.h */
