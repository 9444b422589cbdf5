/* enroll: see enroll.h */
