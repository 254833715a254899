#include <cblas.h>

// LAPACK's divide-and-conquer symmetric eigensolver, for FID's matrix square root (Evaluation/FrechetDistance.swift).
// OpenBLAS exports LAPACK's Fortran symbols, but Debian's libopenblas-dev installs no lapacke.h, so the Fortran
// entry point is declared here (arguments by pointer; the hidden lengths of the one-character strings are not
// needed for them).
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info);
