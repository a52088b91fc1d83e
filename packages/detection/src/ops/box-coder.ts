import * as tf from '@tensorflow/tfjs-core';

/** torchvision's clip on predicted log-scales: exp(dw) stays below 1000 / 16 (a box 62.5 times its anchor). */
export const BBOX_XFORM_CLIP = Math.log(1000 / 16);

export type BoxCoderWeights = readonly [wx: number, wy: number, ww: number, wh: number];

/**
 * Regression targets between boxes and the proposals (or anchors) they are predicted from, as
 * torchvision's det_utils.BoxCoder, with the same float32 arithmetic:
 * dx = wx (gx - px) / pw, dy = wy (gy - py) / ph, dw = ww log(gw / pw), dh = wh log(gh / ph),
 * centres and sizes taken from (x1, y1, x2, y2). Faster R-CNN's RPN uses weights (1, 1, 1, 1), its box
 * head (10, 10, 5, 5).
 */
export class BoxCoder {
  constructor(
    readonly weights: BoxCoderWeights,
    readonly bboxXformClip: number = BBOX_XFORM_CLIP,
  ) {}

  /**
   * referenceBoxes: [N, 4] targets (x1, y1, x2, y2), proposals: [N, 4] -> [N, 4] (dx, dy, dw, dh), as
   * torchvision's `encode_single`. Zero-width proposals give infinite or NaN targets, as in torchvision.
   */
  encode(referenceBoxes: tf.Tensor2D, proposals: tf.Tensor2D): tf.Tensor2D {
    if (referenceBoxes.shape[0] !== proposals.shape[0]) {
      throw new Error(`encode needs one proposal per reference box, got ${proposals.shape[0]} proposals for ${referenceBoxes.shape[0]} boxes`);
    }
    return tf.tidy(() => {
      const [wx, wy, ww, wh] = this.weights;
      const [px1, py1, px2, py2] = tf.unstack(proposals, 1);
      const [gx1, gy1, gx2, gy2] = tf.unstack(referenceBoxes, 1);
      const pw = tf.sub(px2!, px1!);
      const ph = tf.sub(py2!, py1!);
      const px = tf.add(px1!, tf.mul(0.5, pw));
      const py = tf.add(py1!, tf.mul(0.5, ph));
      const gw = tf.sub(gx2!, gx1!);
      const gh = tf.sub(gy2!, gy1!);
      const gx = tf.add(gx1!, tf.mul(0.5, gw));
      const gy = tf.add(gy1!, tf.mul(0.5, gh));
      const dx = tf.div(tf.mul(wx, tf.sub(gx, px)), pw);
      const dy = tf.div(tf.mul(wy, tf.sub(gy, py)), ph);
      const dw = tf.mul(ww, tf.log(tf.div(gw, pw)));
      const dh = tf.mul(wh, tf.log(tf.div(gh, ph)));
      return tf.stack([dx, dy, dw, dh], 1) as tf.Tensor2D;
    });
  }

  /**
   * relCodes: [N, 4 K] (dx, dy, dw, dh per class), boxes: [N, 4] (x1, y1, x2, y2) -> [N, 4 K] boxes, as
   * torchvision's `decode_single`: dw and dh are clamped at `bboxXformClip` before exp.
   */
  decode(relCodes: tf.Tensor2D, boxes: tf.Tensor2D): tf.Tensor2D {
    const [n, codes] = relCodes.shape;
    if (codes % 4 !== 0 || boxes.shape[0] !== n) {
      throw new Error(`decode needs relCodes [N, 4 K] and boxes [N, 4], got [${relCodes.shape.join(', ')}] and [${boxes.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const [wx, wy, ww, wh] = this.weights;
      const [x1, y1, x2, y2] = tf.unstack(boxes, 1);
      const widths = tf.expandDims(tf.sub(x2!, x1!), 1);
      const heights = tf.expandDims(tf.sub(y2!, y1!), 1);
      const cx = tf.add(tf.expandDims(x1!, 1), tf.mul(0.5, widths));
      const cy = tf.add(tf.expandDims(y1!, 1), tf.mul(0.5, heights));
      const [rx, ry, rw, rh] = tf.unstack(tf.reshape(relCodes, [n, codes / 4, 4]), 2);
      const dx = tf.div(rx!, wx);
      const dy = tf.div(ry!, wy);
      const dw = tf.minimum(tf.div(rw!, ww), this.bboxXformClip);
      const dh = tf.minimum(tf.div(rh!, wh), this.bboxXformClip);
      const predCx = tf.add(tf.mul(dx, widths), cx);
      const predCy = tf.add(tf.mul(dy, heights), cy);
      const halfW = tf.mul(0.5, tf.mul(tf.exp(dw), widths));
      const halfH = tf.mul(0.5, tf.mul(tf.exp(dh), heights));
      const decoded = tf.stack([tf.sub(predCx, halfW), tf.sub(predCy, halfH), tf.add(predCx, halfW), tf.add(predCy, halfH)], 2);
      return tf.reshape(decoded, [n, codes]) as tf.Tensor2D;
    });
  }

  /**
   * `decode` on host values, for the small per-image decodes of proposal filtering: no device round
   * trip, so nothing waits on a GPU. The same float32 steps in the same order (each result rounded with
   * Math.fround, as a float32 tensor stores it). relCodes [N * 4 K], boxes [N * 4] -> [N * 4 K].
   */
  decodeHost(relCodes: Float32Array, boxes: Float32Array): Float32Array {
    const n = boxes.length / 4;
    const codes = n === 0 ? 0 : relCodes.length / n;
    if (!Number.isInteger(n) || codes % 4 !== 0 || codes * n !== relCodes.length) {
      throw new Error(`decodeHost needs relCodes [N * 4 K] and boxes [N * 4] values, got ${relCodes.length} and ${boxes.length}`);
    }
    const f = Math.fround;
    const [wx, wy, ww, wh] = this.weights;
    const clip = f(this.bboxXformClip);
    const out = new Float32Array(relCodes.length);
    for (let i = 0; i < n; i++) {
      const width = f(boxes[4 * i + 2]! - boxes[4 * i]!);
      const height = f(boxes[4 * i + 3]! - boxes[4 * i + 1]!);
      const cx = f(boxes[4 * i]! + f(0.5 * width));
      const cy = f(boxes[4 * i + 1]! + f(0.5 * height));
      for (let j = i * codes; j < (i + 1) * codes; j += 4) {
        const dx = f(relCodes[j]! / wx);
        const dy = f(relCodes[j + 1]! / wy);
        const dw = Math.min(f(relCodes[j + 2]! / ww), clip);
        const dh = Math.min(f(relCodes[j + 3]! / wh), clip);
        const predCx = f(f(dx * width) + cx);
        const predCy = f(f(dy * height) + cy);
        const halfW = f(0.5 * f(f(Math.exp(dw)) * width));
        const halfH = f(0.5 * f(f(Math.exp(dh)) * height));
        out[j] = predCx - halfW;
        out[j + 1] = predCy - halfH;
        out[j + 2] = predCx + halfW;
        out[j + 3] = predCy + halfH;
      }
    }
    return out;
  }
}
