{
  "targets": [
    {
      "target_name": "lstm_studio_stdio",
      "sources": ["stdio_guard.c"]
    },
    {
      "target_name": "lstm_studio_kernels",
      "sources": [
        "registration.cc",
        "tf_kernel_api.cc",
        "kernel_math.cc",
        "kernel_support.cc",
        "lstm_kernel.cc",
        "softmax_loss_kernel.cc",
        "clip_sgd_kernel.cc",
        "dropout_kernel.cc"
      ],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno", "-ffp-contract=fast", "-Wno-unused-function"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "conditions": [
        ["OS=='linux'", {
          "libraries": ["-ldl"]
        }],
        ["OS=='mac'", {
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "GCC_OPTIMIZATION_LEVEL": "3",
            "MACOSX_DEPLOYMENT_TARGET": "10.15",
            "OTHER_CPLUSPLUSFLAGS": ["-fno-math-errno", "-ffp-contract=fast", "-Wno-unused-function"]
          }
        }],
        ["OS=='win'", {
          "msbuild_toolset": "ClangCL",
          "msvs_settings": {
            "VCCLCompilerTool": {
              "ExceptionHandling": 1,
              "Optimization": 2,
              "AdditionalOptions": ["/std:c++17", "/clang:-O3", "/clang:-fno-math-errno", "/clang:-ffp-contract=fast", "/clang:-Wno-unused-function"]
            }
          }
        }]
      ]
    }
  ]
}
