/* issue: see issue.h */
