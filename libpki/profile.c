/* profile: see profile.h */
