/*
 * Single-threaded GEMM speed on the shapes the generator's convolutions give (Winograd products: M = output channels,
 * K = input channels, N = tiles per block; last two: im2col of conv1_1 and a large product): OpenBLAS beside CGemm,
 * f32 with A packed per call and once, and bf16. Min of 7 interleaved rounds, so a busy machine still compares.
 *
 *   clang -O2 -ISources/CGemm/include Sources/CGemm/gemm.c Benchmarks/gemm_shapes.c -o /tmp/gemm_shapes \
 *       $(pkg-config --cflags --libs openblas) && /tmp/gemm_shapes
 */
#include "CGemm.h"
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(){ openblas_set_num_threads(1);
 int sh[][3]={{32,1024,64},{64,1024,32},{32,1024,32},{64,1024,64},{128,512,64},{512,16,512},{256,64,512},{256,64,256},{128,256,256},{64,512,128},{32,1024,64},{32,8192,36},{256,4096,576}};
 printf("single thread, min of 7 interleaved rounds, GFLOP/s\n   M     N     K   openblas  native  native+packedA  bf16+packedA\n");
 for(int s=0;s<(int)(sizeof sh/sizeof sh[0]);s++){long m=sh[s][0],n=sh[s][1],k=sh[s][2];
  float*a=malloc(4*m*k),*b=malloc(4*k*n),*c=malloc(4*m*n);
  for(long i=0;i<m*k;i++)a[i]=rand()/(float)RAND_MAX; for(long i=0;i<k*n;i++)b[i]=rand()/(float)RAND_MAX;
  void*pa=aligned_alloc(64,(mpx_gemm_packed_a_size(0,m,k)+63)/64*64),*pb=aligned_alloc(64,(mpx_gemm_packed_a_size(1,m,k)+63)/64*64);
  mpx_gemm_pack_a(0,0,m,k,a,k,pa); mpx_gemm_pack_a(1,0,m,k,a,k,pb);
  double fl=2.0*m*n*k; int reps=(int)(3e8/fl)+1; double best[4]={1e9,1e9,1e9,1e9};
  for(int r=0;r<7;r++){ double t;
   t=now(); for(int i=0;i<reps;i++) cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,m,n,k,1,a,k,b,n,0,c,n); t=(now()-t)/reps; if(t<best[0])best[0]=t;
   t=now(); for(int i=0;i<reps;i++) mpx_sgemm(0,0,m,n,k,1,a,k,b,n,0,c,n); t=(now()-t)/reps; if(t<best[1])best[1]=t;
   t=now(); for(int i=0;i<reps;i++) mpx_sgemm_packed(0,pa,0,m,n,k,1,b,n,0,c,n); t=(now()-t)/reps; if(t<best[2])best[2]=t;
   t=now(); for(int i=0;i<reps;i++) mpx_sgemm_packed(1,pb,0,m,n,k,1,b,n,0,c,n); t=(now()-t)/reps; if(t<best[3])best[3]=t;}
  printf("%4ld %5ld %5ld   %7.1f  %7.1f  %10.1f  %12.1f\n",m,n,k,fl/best[0]/1e9,fl/best[1]/1e9,fl/best[2]/1e9,fl/best[3]/1e9);
  free(a);free(b);free(c);free(pa);free(pb);}
}
