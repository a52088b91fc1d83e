/** ImageNet's per-channel mean and standard deviation of RGB in [0, 1], which torchvision's weights expect. */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];
