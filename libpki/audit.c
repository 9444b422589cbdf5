/* audit: see audit.h */
