// The subset of the cuDNN 9 and cuBLAS 12/13 C APIs that the addon calls, declared here so that it
// builds where neither library nor its headers are installed (the project's machines and CI); the
// libraries are opened with dlopen at run time. Values and layouts are those of cudnn_graph.h,
// cudnn_ops.h, cudnn_cnn.h (cuDNN 9.x) and cublas_api.h (CUDA 12/13): keep them in step.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cuda_runtime_api.h>

typedef struct cudnnContext *cudnnHandle_t;
typedef struct cudnnTensorStruct *cudnnTensorDescriptor_t;
typedef struct cudnnFilterStruct *cudnnFilterDescriptor_t;
typedef struct cudnnConvolutionStruct *cudnnConvolutionDescriptor_t;

typedef int cudnnStatus_t;  // CUDNN_STATUS_SUCCESS = 0
enum { CUDNN_STATUS_SUCCESS = 0 };
enum { CUDNN_DATA_FLOAT = 0 };
enum { CUDNN_TENSOR_NCHW = 0, CUDNN_TENSOR_NHWC = 1 };
enum { CUDNN_CROSS_CORRELATION = 1 };
// cudnnMathType_t: DEFAULT lets cuDNN run fp32 data as TF32 on Ampere and later; FMA forbids it.
enum { CUDNN_DEFAULT_MATH = 0, CUDNN_TENSOR_OP_MATH = 1, CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION = 2, CUDNN_FMA_MATH = 3 };

// cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t share this layout.
struct cudnnAlgoPerf {
  int algo;
  cudnnStatus_t status;
  float time;
  size_t memory;
  int determinism;
  int mathType;
  int reserved[3];
};

typedef void *cublasHandle_t;
typedef int cublasStatus_t;  // CUBLAS_STATUS_SUCCESS = 0
enum { CUBLAS_STATUS_SUCCESS = 0 };
enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 };
// cublasMath_t
enum { CUBLAS_DEFAULT_MATH = 0, CUBLAS_PEDANTIC_MATH = 2, CUBLAS_TF32_TENSOR_OP_MATH = 3 };

// Function pointer types, named after the C functions they are looked up by.
struct DnnApi {
  size_t (*cudnnGetVersion)();
  const char *(*cudnnGetErrorString)(cudnnStatus_t);
  cudnnStatus_t (*cudnnCreate)(cudnnHandle_t *);
  cudnnStatus_t (*cudnnSetStream)(cudnnHandle_t, cudaStream_t);
  cudnnStatus_t (*cudnnCreateTensorDescriptor)(cudnnTensorDescriptor_t *);
  cudnnStatus_t (*cudnnDestroyTensorDescriptor)(cudnnTensorDescriptor_t);
  cudnnStatus_t (*cudnnSetTensor4dDescriptor)(cudnnTensorDescriptor_t, int format, int dtype, int n, int c, int h, int w);
  cudnnStatus_t (*cudnnCreateFilterDescriptor)(cudnnFilterDescriptor_t *);
  cudnnStatus_t (*cudnnDestroyFilterDescriptor)(cudnnFilterDescriptor_t);
  cudnnStatus_t (*cudnnSetFilter4dDescriptor)(cudnnFilterDescriptor_t, int dtype, int format, int k, int c, int h, int w);
  cudnnStatus_t (*cudnnCreateConvolutionDescriptor)(cudnnConvolutionDescriptor_t *);
  cudnnStatus_t (*cudnnDestroyConvolutionDescriptor)(cudnnConvolutionDescriptor_t);
  cudnnStatus_t (*cudnnSetConvolution2dDescriptor)(cudnnConvolutionDescriptor_t, int padH, int padW, int u, int v,
                                                   int dilH, int dilW, int mode, int computeType);
  cudnnStatus_t (*cudnnSetConvolutionGroupCount)(cudnnConvolutionDescriptor_t, int groups);
  cudnnStatus_t (*cudnnSetConvolutionMathType)(cudnnConvolutionDescriptor_t, int mathType);
  cudnnStatus_t (*cudnnGetConvolutionForwardAlgorithm_v7)(cudnnHandle_t, cudnnTensorDescriptor_t, cudnnFilterDescriptor_t,
                                                          cudnnConvolutionDescriptor_t, cudnnTensorDescriptor_t, int requested,
                                                          int *returned, cudnnAlgoPerf *);
  cudnnStatus_t (*cudnnGetConvolutionBackwardDataAlgorithm_v7)(cudnnHandle_t, cudnnFilterDescriptor_t, cudnnTensorDescriptor_t,
                                                               cudnnConvolutionDescriptor_t, cudnnTensorDescriptor_t, int requested,
                                                               int *returned, cudnnAlgoPerf *);
  cudnnStatus_t (*cudnnGetConvolutionBackwardFilterAlgorithm_v7)(cudnnHandle_t, cudnnTensorDescriptor_t, cudnnTensorDescriptor_t,
                                                                 cudnnConvolutionDescriptor_t, cudnnFilterDescriptor_t, int requested,
                                                                 int *returned, cudnnAlgoPerf *);
  cudnnStatus_t (*cudnnConvolutionForward)(cudnnHandle_t, const void *alpha, cudnnTensorDescriptor_t, const void *x,
                                           cudnnFilterDescriptor_t, const void *w, cudnnConvolutionDescriptor_t, int algo,
                                           void *workspace, size_t workspaceBytes, const void *beta, cudnnTensorDescriptor_t, void *y);
  cudnnStatus_t (*cudnnConvolutionBackwardData)(cudnnHandle_t, const void *alpha, cudnnFilterDescriptor_t, const void *w,
                                                cudnnTensorDescriptor_t, const void *dy, cudnnConvolutionDescriptor_t, int algo,
                                                void *workspace, size_t workspaceBytes, const void *beta, cudnnTensorDescriptor_t, void *dx);
  cudnnStatus_t (*cudnnConvolutionBackwardFilter)(cudnnHandle_t, const void *alpha, cudnnTensorDescriptor_t, const void *x,
                                                  cudnnTensorDescriptor_t, const void *dy, cudnnConvolutionDescriptor_t, int algo,
                                                  void *workspace, size_t workspaceBytes, const void *beta, cudnnFilterDescriptor_t, void *dw);

  cublasStatus_t (*cublasCreate_v2)(cublasHandle_t *);
  cublasStatus_t (*cublasSetStream_v2)(cublasHandle_t, cudaStream_t);
  cublasStatus_t (*cublasSetMathMode)(cublasHandle_t, int mode);
  cublasStatus_t (*cublasSgemmStridedBatched)(cublasHandle_t, int transa, int transb, int m, int n, int k, const float *alpha,
                                              const float *A, int lda, long long strideA, const float *B, int ldb, long long strideB,
                                              const float *beta, float *C, int ldc, long long strideC, int batchCount);
};
