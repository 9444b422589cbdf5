/* hierarchy: see hierarchy.h */
