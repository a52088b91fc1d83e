"""Copies three of scikit-image's sample photographs into assets/images/, downscaled for the demos.

    /usr/bin/python3 tools/images/make_sample_photos.py      (Debian: python3-skimage, python3-opencv)

All three are free of copyright restrictions (scikit-image's own notes, skimage/data/_fetchers.py):
chelsea (CC0, Stefan van der Walt), coffee (CC0, Rachel Michetti), astronaut (NASA, public domain).
"""
import os
import cv2
import skimage.data

OUT = os.path.join(os.path.dirname(__file__), '../../assets/images')
os.makedirs(OUT, exist_ok=True)
# (skimage loader, file written, scale): JPEG for photographs, PNG where lossless pixels are wanted.
for load, name, scale in [(skimage.data.chelsea, 'chelsea.jpg', 1.0), (skimage.data.coffee, 'coffee.png', 0.5), (skimage.data.astronaut, 'astronaut.jpg', 0.5)]:
    image = cv2.cvtColor(load(), cv2.COLOR_RGB2BGR)
    if scale != 1.0:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    params = [cv2.IMWRITE_JPEG_QUALITY, 90] if name.endswith('.jpg') else [cv2.IMWRITE_PNG_COMPRESSION, 9]
    cv2.imwrite(os.path.join(OUT, name), image, params)
    print(name, image.shape)
