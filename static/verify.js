// verify.js: moved out of templates/ballots/verify.html so the Content-Security-Policy allows no inline script.
(function () {
  // Chrome on Android has BarcodeDetector; elsewhere the photo input (server-side zxing-cpp) and the typed code under
  // the QR are the fallback: the camera button is shown only where it can work.
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices) return;
  var start = document.getElementById('start-camera');
  start.hidden = false;
  function failed() {  // no permission, no camera: say so and offer the photo
    start.hidden = true;
    document.getElementById('camera-box').hidden = true;
    document.getElementById('camera-problem').hidden = false;
    var photo = document.getElementById('image');
    if (photo) photo.focus();
  }
  start.addEventListener('click', function () {
    var detector = new BarcodeDetector({formats: ['qr_code']});
    var video = document.getElementById('camera');
    navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}}).then(function (stream) {
      document.getElementById('camera-box').hidden = false;
      video.srcObject = stream; video.play();
      function scan() {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stream.getTracks().forEach(function (t) { t.stop(); });
            document.getElementById('code').value = codes[0].rawValue;
            document.getElementById('verify-form').submit();
          } else { requestAnimationFrame(scan); }
        }).catch(function () { requestAnimationFrame(scan); });
      }
      scan();
    }).catch(failed);
  });
})();
